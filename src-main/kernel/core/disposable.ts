export interface Disposable {
  dispose(): void | Promise<void>;
}

/** Owns children and disposes them in reverse order of registration, once. */
export class DisposableStore implements Disposable {
  private readonly children: Disposable[] = [];
  private disposed = false;

  add<T extends Disposable>(child: T): T {
    if (this.disposed) {
      void child.dispose();
      throw new Error('DisposableStore: add() after dispose()');
    }
    this.children.push(child);
    return child;
  }

  delete(child: Disposable): void {
    const index = this.children.indexOf(child);
    if (index >= 0) this.children.splice(index, 1);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const errors: unknown[] = [];
    for (const child of this.children.splice(0).reverse()) {
      try {
        await child.dispose();
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'some resources failed to dispose');
  }
}

export function toDisposable(fn: () => void | Promise<void>): Disposable {
  return { dispose: fn };
}
