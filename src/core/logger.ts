/** The one logger: services receive it through their context and never write to the console. */
export interface Logger {
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {} }
