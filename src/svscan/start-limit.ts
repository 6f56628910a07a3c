// A small concurrency limit for service start-ups, so that 1,000 services appearing at once are taken
// in charge a few at a time (each start runs flock(1) and maybe mkfifo(1)) and the event loop stays
// free for the services already running.
export class StartLimit {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly max: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.max) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    try {
      return await task();
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }
}
