/**
 * The progress indicator of the Node and browser benches, on stderr: one line rewritten in place on a terminal; in a
 * log (the GPU machine, CI) a line for each new op/case and at most one every 10 s in between.
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr): { line(text: string): void; done(): void } {
  const tty = stream.isTTY;
  let lastLabel = '';
  let lastTime = 0;
  return {
    line(text) {
      if (tty) {
        stream.write(`\r\x1b[K${text.slice(0, (stream.columns || 120) - 1)}`);
        return;
      }
      const label = text.split(':')[0]!;
      if (label !== lastLabel || Date.now() - lastTime > 10_000) {
        stream.write(`${text}\n`);
        lastLabel = label;
        lastTime = Date.now();
      }
    },
    done() {
      if (tty) stream.write('\r\x1b[K');
    },
  };
}
