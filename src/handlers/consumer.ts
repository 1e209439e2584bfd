// Placeholder entry point; replaced by the real consumer handler.
export const handler = async (): Promise<never> => {
  throw new Error('consumer handler not implemented yet');
};
