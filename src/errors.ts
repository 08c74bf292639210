/** Bad input from the user (config, spec, files, options): the CLI prints one line and exits 2. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
