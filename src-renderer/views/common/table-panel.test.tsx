// @vitest-environment jsdom
import { cleanup, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { TablePanel, type TableColumn } from './table-panel.js';

afterEach(cleanup);

const COLUMNS: readonly TableColumn[] = [{ label: 'Name' }, { label: 'Size', numeric: true }, { label: 'Actions', className: 'actions', hidden: true }];

describe('TablePanel', () => {
  it('labels the section and the table by the heading, and heads each column by its definition', () => {
    render(
      <TablePanel titleId="things-title" title="Things" className="things" head={<span className="muted hint">2 things</span>} columns={COLUMNS}>
        <tr>
          <th scope="row">one</th>
          <td className="num">1</td>
          <td />
        </tr>
      </TablePanel>,
    );
    const section = screen.getByRole('region', { name: 'Things' });
    expect(section.className).toBe('panel things');
    const table = within(section).getByRole('table', { name: 'Things' });
    const heads = within(table).getAllByRole('columnheader');
    expect(heads.map((head) => head.textContent)).toEqual(['Name', 'Size', 'Actions']);
    expect(heads[1]!.className).toBe('num');
    expect(heads[2]!.className).toBe('actions');
    expect(within(heads[2]!).getByText('Actions').className).toBe('visually-hidden');
    expect(within(section).getByText('2 things')).toBeTruthy();
    expect(within(table).getByRole('rowheader', { name: 'one' })).toBeTruthy();
  });

  it('shows the empty line and the footer under the table', () => {
    render(
      <TablePanel titleId="none-title" title="None" className="none" columns={COLUMNS} empty={<p className="empty">Nothing yet.</p>} footer={<p>more below</p>}>
        {null}
      </TablePanel>,
    );
    const section = screen.getByRole('region', { name: 'None' });
    expect(within(section).getByText('Nothing yet.')).toBeTruthy();
    expect(within(section).getByText('more below')).toBeTruthy();
  });
});
