// A terminal screen as tmux keeps it (`capture-pane -e -p`): rows of styled spans, and an HTML page
// of it for a PNG. tmux writes an SGR sequence only where a style changes, also across rows, so
// styles carry over from one row to the next.

export interface Span {
  text: string;
  fg?: string;
  bg?: string;
  bold?: boolean;
}

export type Row = Span[];

/** The 256-colour xterm palette as #rrggbb. */
function xterm(n: number): string {
  const hex = (v: number) => v.toString(16).padStart(2, '0');
  const base = ['000000', 'cd0000', '00cd00', 'cdcd00', '0000ee', 'cd00cd', '00cdcd', 'e5e5e5', '7f7f7f', 'ff0000', '00ff00', 'ffff00', '5c5cff', 'ff00ff', '00ffff', 'ffffff'];
  if (n < 16) return `#${base[n]}`;
  if (n < 232) {
    const level = [0, 95, 135, 175, 215, 255];
    const i = n - 16;
    return `#${hex(level[Math.floor(i / 36)])}${hex(level[Math.floor(i / 6) % 6])}${hex(level[i % 6])}`;
  }
  const grey = 8 + (n - 232) * 10;
  return `#${hex(grey)}${hex(grey)}${hex(grey)}`;
}

/** Parses a `capture-pane -e -p` dump into rows of spans with explicit colours (undefined = default). */
export function parseScreen(dump: string): Row[] {
  let style: Omit<Span, 'text'> = {};
  return dump.split('\n').map((line) => {
    const row: Row = [];
    const re = /\x1b\[([\d;]*)m/g;
    let last = 0;
    const push = (text: string) => text && row.push({ text, ...style });
    for (let m = re.exec(line); m; m = re.exec(line)) {
      push(line.slice(last, m.index));
      last = re.lastIndex;
      const codes = m[1] === '' ? [0] : m[1].split(';').map(Number);
      for (let i = 0; i < codes.length; i++) {
        const c = codes[i];
        if (c === 0) style = {};
        else if (c === 1) style = { ...style, bold: true };
        else if (c === 22) style = { ...style, bold: false };
        else if ((c === 38 || c === 48) && codes[i + 1] === 5) {
          style = { ...style, [c === 38 ? 'fg' : 'bg']: xterm(codes[i + 2]) };
          i += 2;
        } else if ((c === 38 || c === 48) && codes[i + 1] === 2) {
          const rgb = codes.slice(i + 2, i + 5).map((v) => v.toString(16).padStart(2, '0'));
          style = { ...style, [c === 38 ? 'fg' : 'bg']: `#${rgb.join('')}` };
          i += 4;
        } else if (c === 39) style = { ...style, fg: undefined };
        else if (c === 49) style = { ...style, bg: undefined };
        else if (c >= 30 && c <= 37) style = { ...style, fg: xterm(c - 30) };
        else if (c >= 90 && c <= 97) style = { ...style, fg: xterm(c - 90 + 8) };
        else if (c >= 40 && c <= 47) style = { ...style, bg: xterm(c - 40) };
        else if (c >= 100 && c <= 107) style = { ...style, bg: xterm(c - 100 + 8) };
      }
    }
    push(line.slice(last));
    return row;
  });
}

export const rowText = (row: Row): string => row.map((s) => s.text).join('');

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A page that shows the screen in a monospace font, default colours as given. */
export function screenHtml(rows: Row[], fg = '#e0e2ea', bg = '#14161b'): string {
  const body = rows
    .map((row) =>
      row
        .map((s) => {
          const css = [`color:${s.fg ?? fg}`, `background:${s.bg ?? bg}`, s.bold ? 'font-weight:bold' : ''].filter(Boolean).join(';');
          return `<span style="${css}">${escape(s.text)}</span>`;
        })
        .join(''),
    )
    .join('\n');
  return `<meta charset="utf-8"><pre style="font-family:'DejaVu Sans Mono',monospace;font-size:15px;line-height:1.25;margin:0;padding:6px;background:${bg}">${body}</pre>`;
}
