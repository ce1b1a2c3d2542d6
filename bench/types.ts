/** One figure a benchmark reports. Ratios carry the baseline they were divided by, measured in the same run. */
export interface BenchFigure {
  key: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number; unit: string };
  notes?: string;
}
