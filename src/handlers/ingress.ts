// Placeholder entry point; replaced by the real ingress handler.
export const handler = async (): Promise<never> => {
  throw new Error('ingress handler not implemented yet');
};
