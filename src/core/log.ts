export type Level = "debug" | "info" | "warn" | "error";
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** A small line logger: `time level [service] message`. */
export class Logger {
  constructor(
    private level: Level = "info",
    private sink: (line: string) => void = (l) => process.stdout.write(l + "\n"),
    private prefix = "",
  ) {}
  child(prefix: string): Logger {
    return new Logger(this.level, this.sink, prefix);
  }
  private emit(level: Level, msg: string): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const tag = this.prefix ? ` [${this.prefix}]` : "";
    this.sink(`${new Date().toISOString()} ${level.toUpperCase()}${tag} ${msg}`);
  }
  debug(msg: string) { this.emit("debug", msg); }
  info(msg: string) { this.emit("info", msg); }
  warn(msg: string) { this.emit("warn", msg); }
  error(msg: string) { this.emit("error", msg); }
}

/** A logger that drops everything (tests). */
export const silentLogger = new Logger("error", () => {});
