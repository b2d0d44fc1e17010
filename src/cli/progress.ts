/**
 * A progress bar on stderr when a person watches a terminal; silent otherwise, so
 * scripts reading stdout (create-key's last line) see nothing extra.
 */
export function progressBar(label: string, stream: NodeJS.WriteStream = process.stderr) {
  const shown = stream.isTTY === true;
  const draw = (done: number, total: number) => {
    if (!shown) return;
    const width = 30;
    const filled = total > 0 ? Math.round((done / total) * width) : width;
    stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`);
  };
  return {
    update: draw,
    finish(done: number, total: number) {
      draw(done, total);
      if (shown) stream.write('\n');
    },
  };
}
