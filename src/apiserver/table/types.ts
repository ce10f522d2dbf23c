// meta.k8s.io/v1 Table, the server-side printing format `kubectl get` asks for, and the shape of
// one kind's printer. Printers are pure: the same object and clock always give the same cells.

export interface TableColumnDefinition {
  name: string;
  /** OpenAPI type: 'string', 'integer', 'number', 'boolean', 'date'. */
  type: string;
  /** '' or an OpenAPI format; 'name' marks the column holding the object's name. */
  format: string;
  description: string;
  /** 0 = always shown; 1 = only with `kubectl get -o wide`. */
  priority: number;
}

export type TableCell = string | number | boolean;

export interface TableRowCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface TableRow {
  /** One cell per column definition, in order. */
  cells: TableCell[];
  conditions?: TableRowCondition[];
  /** Absent for includeObject=None. */
  object?: Record<string, unknown>;
}

export interface Table {
  kind: 'Table';
  apiVersion: 'meta.k8s.io/v1';
  /** Left empty here: the API server fills resourceVersion / continue / remainingItemCount. */
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export type Obj = Record<string, unknown>;

/**
 * One kind's server-side printer. Upstream always renders the wide cells on the server (kubectl
 * hides priority-1 columns itself), so `cells` returns one cell per column.
 */
export interface Printer {
  columns: TableColumnDefinition[];
  cells(obj: Obj, now: number): TableCell[];
  conditions?(obj: Obj): TableRowCondition[] | undefined;
}
