// Placeholder until the CLI lands: keeps the bundle building.
export async function runCli(_args: string[]): Promise<number> {
  process.stderr.write('flamelens: the command-line interface is not built yet\n');
  return 2;
}
