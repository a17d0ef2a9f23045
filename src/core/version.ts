/** torchlet's version, as torch.__version__ (test/package.test.ts keeps it equal to package.json's). */
export const version: string = "0.1.0";
