// Placeholder until the language server lands: keeps the bundle building.
export function start(): void {
  process.stderr.write('flamelens: the language server is not built yet\n');
  process.exit(2);
}
