// asl-validator 4.0.0 points "types" at a file it does not ship; this is its validator's shape.
declare module 'asl-validator' {
  interface AslValidationError {
    message?: string;
    path?: string;
    [key: string]: unknown;
  }
  function aslValidator(definition: object, options?: { checkPaths?: boolean; checkArn?: boolean }): { isValid: boolean; errors: AslValidationError[] };
  export = aslValidator;
}
