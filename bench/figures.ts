/** One named figure a benchmark prints and writes to the bench JSON. */
export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly description: string;
}

export type Benchmark = () => Promise<Figure[]>;
