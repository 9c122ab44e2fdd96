import type { WeddingPlan } from "./wedding-plan.ts";

/**
 * A binary min-heap of wedding plans keyed by the time of each plan's next step, ties broken by
 * creation order, so the merged stream is in time order and the same on every run. It holds one
 * entry per wedding in flight rather than one per pending event. Keys live in typed arrays beside
 * the plans: comparing them then touches two small contiguous arrays instead of chasing each
 * plan's steps through the heap, which is what made the generator slow at a million events.
 */
export class PlanQueue {
  private plans: WeddingPlan[] = [];
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private length = 0;

  /** Number of plans waiting. */
  get size(): number {
    return this.length;
  }

  /** The plan whose next step comes first, without removing it. */
  peek(): WeddingPlan | undefined {
    return this.length > 0 ? this.plans[0] : undefined;
  }

  /** Adds a plan that has at least one step left. */
  push(plan: WeddingPlan): void {
    if (this.length === this.times.length) this.grow();
    this.place(this.length++, plan);
    this.siftUp(this.length - 1);
  }

  /** Removes the first plan. */
  pop(): void {
    this.length--;
    const last = this.plans[this.length]!;
    this.plans.length = this.length;
    if (this.length > 0) {
      this.place(0, last);
      this.siftDown(0);
    }
  }

  /** Restores order after the first plan's next step moved later (its cursor advanced or a step was added after it). */
  updateFirst(): void {
    this.place(0, this.plans[0]!);
    this.siftDown(0);
  }

  private place(index: number, plan: WeddingPlan): void {
    this.plans[index] = plan;
    this.times[index] = plan.steps[plan.cursor]!.at;
    this.seqs[index] = plan.seq;
  }

  private grow(): void {
    const times = new Float64Array(this.times.length * 2);
    const seqs = new Float64Array(this.seqs.length * 2);
    times.set(this.times);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
  }

  private before(i: number, j: number): boolean {
    const a = this.times[i]!;
    const b = this.times[j]!;
    return a < b || (a === b && this.seqs[i]! < this.seqs[j]!);
  }

  private swap(i: number, j: number): void {
    const plan = this.plans[i]!;
    this.plans[i] = this.plans[j]!;
    this.plans[j] = plan;
    const time = this.times[i]!;
    this.times[i] = this.times[j]!;
    this.times[j] = time;
    const seq = this.seqs[i]!;
    this.seqs[i] = this.seqs[j]!;
    this.seqs[j] = seq;
  }

  private siftUp(index: number): void {
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(index, parent)) return;
      this.swap(index, parent);
      index = parent;
    }
  }

  private siftDown(index: number): void {
    for (;;) {
      const left = 2 * index + 1;
      if (left >= this.length) return;
      const right = left + 1;
      const child = right < this.length && this.before(right, left) ? right : left;
      if (!this.before(child, index)) return;
      this.swap(index, child);
      index = child;
    }
  }
}
