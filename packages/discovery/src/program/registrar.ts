/**
 * The register loop, free of I/O of its own (registry, check and timers are given, so a test drives
 * it with fakes): a check every interval; a passing check publishes (or keeps) the instance, a
 * failing one withdraws it at once; while published, a keep-alive every ttl/3 holds the lease; the
 * target stopping drains it (withdrawn before the app dies) and no check publishes it again until
 * the target starts anew. Registry errors are counted and retried at the next tick, never fatal.
 */
import type { CheckResult } from './check.js';
import type { Instance } from '../registry/instance.js';
import type { Registry, WithdrawReason } from '../registry/registry.js';
import type { RegisterState, RegisterStateName } from '../events.js';

export interface RegistrarDeps {
  registry: Registry;
  check: () => Promise<CheckResult>;
  instance: Instance;
  intervalMs: number;
  ttlMs: number;
  onState: (s: RegisterState) => void;
  warn: (m: string) => void;
  now?: () => number;
  /** Timers (a test's clock awaits what `fn` returns: the work that timer started). */
  setTimer?: (fn: () => Promise<unknown>, ms: number) => { cancel(): void };
}

export class Registrar {
  private name: RegisterStateName = 'starting';
  private since: number;
  private published = false;
  private held = false; // draining or target down: no check publishes
  private stopped = false;
  private checkTimer: { cancel(): void } | undefined;
  private aliveTimer: { cancel(): void } | undefined;
  private busy: Promise<void> = Promise.resolve();
  readonly stats = { passed: 0, failed: 0, publishes: 0, withdrawals: 0, registryErrors: 0 };
  private last: RegisterState['lastCheck'];
  private lastError: string | undefined;

  constructor(private readonly d: RegistrarDeps) {
    this.since = this.now();
  }

  private now(): number {
    return this.d.now?.() ?? Date.now();
  }

  private timer(fn: () => Promise<unknown>, ms: number): { cancel(): void } {
    if (this.d.setTimer) return this.d.setTimer(fn, ms);
    const t = setTimeout(() => void fn(), ms);
    return { cancel: () => clearTimeout(t) };
  }

  state(): RegisterState {
    return {
      service: this.d.instance.service,
      state: this.name,
      address: this.d.instance.address,
      port: this.d.instance.port,
      since: new Date(this.since).toISOString(),
      checks: { passed: this.stats.passed, failed: this.stats.failed },
      ...(this.last ? { lastCheck: this.last } : {}),
      publishes: this.stats.publishes,
      withdrawals: this.stats.withdrawals,
      registryErrors: this.stats.registryErrors,
      ...(this.lastError ? { lastError: this.lastError } : {}),
    };
  }

  private set(name: RegisterStateName): void {
    if (name === this.name) return;
    this.name = name;
    this.since = this.now();
    this.d.onState(this.state());
  }

  /** One after another: a check's publish never races a drain's withdrawal. */
  private serial(fn: () => Promise<void>): Promise<void> {
    this.busy = this.busy.then(fn, fn);
    return this.busy;
  }

  private registryFailed(what: string, err: unknown): void {
    this.stats.registryErrors++;
    this.lastError = `${what}: ${(err as Error).message}`;
    this.d.warn(`registry: ${this.lastError}`);
  }

  /** Runs the first check now (resolves once it is done), then one every interval. */
  async start(): Promise<void> {
    await this.tick();
  }

  private schedule(): void {
    this.checkTimer?.cancel();
    if (!this.stopped) this.checkTimer = this.timer(() => this.tick(), this.d.intervalMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    if (this.held) return this.schedule();
    const r = await this.d.check();
    this.last = { ok: r.ok, detail: r.detail, at: new Date(this.now()).toISOString(), ms: r.ms };
    if (r.ok) this.stats.passed++;
    else this.stats.failed++;
    await this.serial(async () => {
      if (this.held || this.stopped) return;
      if (r.ok && !this.published) await this.publish();
      else if (!r.ok && (this.published || this.name === 'starting')) await this.withdraw('unhealthy', 'withdrawn');
    });
    this.schedule();
  }

  private async publish(): Promise<void> {
    try {
      await this.d.registry.publish(this.d.instance, this.d.ttlMs);
      this.published = true;
      this.stats.publishes++;
      this.lastError = undefined;
      this.set('published');
      this.keepAlive();
    } catch (err) {
      this.registryFailed('publish', err);
    }
  }

  private keepAlive(): void {
    this.aliveTimer?.cancel();
    this.aliveTimer = this.timer(
      () =>
        this.serial(async () => {
          if (!this.published || this.stopped) return;
          try {
            await this.d.registry.keepAlive(this.d.instance, this.d.ttlMs);
          } catch (err) {
            this.registryFailed('keep-alive', err);
          }
        }).then(() => void (this.published && !this.stopped && this.keepAlive())),
      Math.max(200, Math.floor(this.d.ttlMs / 3)),
    );
  }

  private async withdraw(reason: WithdrawReason, next: RegisterStateName): Promise<void> {
    this.aliveTimer?.cancel();
    const was = this.published;
    this.published = false;
    if (!was && reason !== 'stopped') return this.set(next);
    try {
      await this.d.registry.withdraw(this.d.instance, reason);
      if (was) this.stats.withdrawals++;
    } catch (err) {
      this.published = was; // tried again at the next tick
      this.registryFailed('withdraw', err);
    }
    this.set(next);
  }

  /** The target is being stopped or killed: withdraw now, publish no more until it starts again. */
  drain(): Promise<void> {
    this.held = true;
    return this.serial(() => this.withdraw('draining', 'draining'));
  }

  targetDown(): Promise<void> {
    this.held = true;
    return this.serial(() => (this.published ? this.withdraw('target-down', 'target-down') : Promise.resolve(this.set('target-down'))));
  }

  /** Stop every timer, leaving the registry as it is (the process is about to be restarted). */
  halt(): void {
    this.stopped = true;
    this.checkTimer?.cancel();
    this.aliveTimer?.cancel();
  }

  /** `register stop` (SIGTERM): withdraw for good. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.checkTimer?.cancel();
    this.aliveTimer?.cancel();
    await this.serial(() => this.withdraw('stopped', 'withdrawn'));
  }
}
