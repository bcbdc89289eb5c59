/** Where the MLP network diagram draws its nodes: pure geometry, tested without a DOM. */

export interface NetNode {
  /** Column: 0 inputs, 1 … L hidden layers, L + 1 outputs. */
  column: number;
  row: number;
  x: number;
  y: number;
  /** Module index for hidden neurons (layer-major, as the model's modules), else null. */
  module: number | null;
  label: string;
}

export interface NetLayout {
  width: number;
  height: number;
  nodes: NetNode[];
  /** Edges between consecutive columns, as node index pairs (every pair: dense layers). */
  edges: [number, number][];
  radius: number;
}

/**
 * Columns of inputs, hidden layers and outputs, evenly spaced; each column's nodes centred
 * vertically with a fixed pitch, so small layers do not stretch. Hidden neuron m of the modules
 * list is column layer + 1, row index.
 */
export function networkLayout(
  inputs: string[],
  hidden: number[],
  outputs: number,
  opts: { width?: number; pitch?: number; radius?: number } = {},
): NetLayout {
  const width = opts.width ?? 360;
  const pitch = opts.pitch ?? 26;
  const radius = opts.radius ?? 9;
  const columns = [inputs.length, ...hidden, outputs];
  const tallest = Math.max(...columns);
  const height = tallest * pitch + 2 * radius;
  // Room for the input names on the left and the class names on the right.
  const left = 40;
  const right = 56;
  const dx = columns.length > 1 ? (width - left - right) / (columns.length - 1) : 0;
  const nodes: NetNode[] = [];
  const firstOf: number[] = [];
  let module = 0;
  columns.forEach((count, c) => {
    firstOf.push(nodes.length);
    const top = (height - (count - 1) * pitch) / 2;
    for (let r = 0; r < count; r++) {
      const isHidden = c >= 1 && c <= hidden.length;
      nodes.push({
        column: c,
        row: r,
        x: left + c * dx,
        y: top + r * pitch,
        module: isHidden ? module++ : null,
        label: c === 0 ? inputs[r]! : isHidden ? `L${c - 1}.N${r}` : `class ${r}`,
      });
    }
  });
  const edges: [number, number][] = [];
  for (let c = 0; c + 1 < columns.length; c++) {
    for (let a = 0; a < columns[c]!; a++)
      for (let b = 0; b < columns[c + 1]!; b++) edges.push([firstOf[c]! + a, firstOf[c + 1]! + b]);
  }
  return { width, height, nodes, edges, radius };
}
