// Progress and warnings from inside the provider host. The host has no engine connection, where
// pulumi.log would print "info: [runtime] …"; Pulumi 3.146 and later pass a dynamic provider's
// plain console lines through to the user, so these are written as plain, self-contained lines that
// read well in a CI log.

/** A progress line. */
export function info(message: string): void {
  console.log(message);
}

/** Something the user should act on, though the operation goes on. */
export function warn(message: string): void {
  console.log(`warning: ${message}`);
}
