// Placeholder entry point; replaced by the real outbound handler.
export const handler = async (): Promise<never> => {
  throw new Error('outbound handler not implemented yet');
};
