import type { HTMLAttributes, ReactNode } from 'react';

/** One column head: its label (read by screen readers even when hidden), and how its cells align. */
export interface TableColumn {
  label: string;
  /** Numbers are right-aligned (`num`). */
  numeric?: boolean;
  /** Another class for the head (e.g. `actions`). */
  className?: string;
  /** The label is for screen readers only (a column of row buttons). */
  hidden?: boolean;
}

export interface TablePanelProps {
  /** The heading's id: the section and the table are labelled by it. */
  titleId: string;
  title: ReactNode;
  /** The section's class besides `panel`. */
  className: string;
  /** Beside the heading: a hint, counters, a toolbar. */
  head?: ReactNode;
  /** Between the heading and the table: a form, a notice. */
  beforeTable?: ReactNode;
  columns: readonly TableColumn[];
  tableClassName?: string;
  /** The rows (`<tr>`), each its own component so a change re-renders one row. */
  children: ReactNode;
  /** Shown under the table when it has no rows (null: nothing shown). */
  empty?: ReactNode;
  /** Under the table, after the empty line (e.g. how many rows are not drawn). */
  footer?: ReactNode;
  /** The section's other attributes (a drop zone's handlers, say). */
  sectionProps?: Omit<HTMLAttributes<HTMLElement>, 'className' | 'children'>;
}

function columnClass(column: TableColumn): string | undefined {
  const classes = [column.numeric ? 'num' : null, column.className ?? null].filter(Boolean);
  return classes.length > 0 ? classes.join(' ') : undefined;
}

/**
 * The skeleton every table panel shares: a labelled section, its heading and hint, and a scrolling
 * table with its column heads and an empty line. The panels keep their own rows.
 */
export function TablePanel({ titleId, title, className, head, beforeTable, columns, tableClassName, children, empty, footer, sectionProps }: TablePanelProps) {
  return (
    <section {...sectionProps} className={`panel ${className}`} aria-labelledby={titleId}>
      <div className="panel-head">
        <h2 id={titleId}>{title}</h2>
        {head}
      </div>
      {beforeTable}
      <div className="table-scroll">
        <table aria-labelledby={titleId} className={tableClassName}>
          <thead>
            <tr>
              {columns.map((column) => (
                <th key={column.label} scope="col" className={columnClass(column)}>
                  {column.hidden ? <span className="visually-hidden">{column.label}</span> : column.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>{children}</tbody>
        </table>
        {empty ?? null}
        {footer ?? null}
      </div>
    </section>
  );
}
