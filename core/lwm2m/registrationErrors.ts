/** A Register or Update request whose parameters break the Registration interface rules: 4.00. */
export class RegistrationRequestError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'RegistrationRequestError';
  }
}
