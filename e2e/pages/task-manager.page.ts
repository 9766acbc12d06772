import type { Locator, Page } from 'playwright';
import { expect } from 'vitest';
import { InstallDialogPage } from './install-dialog.page.js';
import { ReniceDialogPage } from './renice-dialog.page.js';
import { UI_TIMEOUT } from './wait.js';

/** Data cells of a row, in order (the agent is the row header, not a cell). */
const CELL = { pid: 0, state: 1, class: 2, core: 3, slot: 4, rate: 5, tokens: 6, context: 7, kv: 8, tools: 9, uptime: 10 } as const;

export type ProcessStateName = 'new' | 'ready' | 'running' | 'waiting' | 'blocked' | 'suspended' | 'exited' | 'crashed';

/** The agents table, its row actions, and the gallery dock beside it. */
export class TaskManagerPage {
  constructor(readonly page: Page) {}

  get table(): Locator {
    return this.page.getByRole('table', { name: 'Agents' });
  }

  /** The row of one process, found by its agent button ("Open console of process 3, Looper"). */
  row(pid: number): Locator {
    return this.table.getByRole('row').filter({ has: this.page.getByRole('button', { name: `Open console of process ${pid},` }) });
  }

  /** Pids of the rows showing an agent, in table order. */
  async pidsOf(agentName: string): Promise<number[]> {
    const buttons = this.table.getByRole('button', { name: new RegExp(`^Open console of process \\d+, ${agentName}$`) });
    const labels = await buttons.evaluateAll((elements) => elements.map((element) => element.getAttribute('aria-label') ?? ''));
    return labels.map((label) => Number(/process (\d+),/.exec(label)?.[1]));
  }

  /** Waits for a new row of `agentName` (one not in `known`) and returns its pid. */
  async waitForNewProcess(agentName: string, known: readonly number[] = []): Promise<number> {
    let found: number | undefined;
    await expect
      .poll(
        async () => {
          found = (await this.pidsOf(agentName)).find((pid) => !known.includes(pid));
          return found;
        },
        { timeout: UI_TIMEOUT, interval: 100 },
      )
      .toBeDefined();
    return found!;
  }

  async stateOf(pid: number): Promise<string | null> {
    return this.row(pid).getAttribute('data-state');
  }

  /** Waits until the row shows one of the states; the page polls ten times a second, so a brief state is seen. */
  async waitForState(pid: number, states: readonly ProcessStateName[], timeout = UI_TIMEOUT): Promise<string> {
    await expect.poll(() => this.stateOf(pid), { timeout, interval: 50 }).toSatisfy((state) => states.includes(state as ProcessStateName));
    return (await this.stateOf(pid))!;
  }

  /** The row's exit status ("exit 137: killed"), shown on its state badge once it has finished. */
  async exitOf(pid: number): Promise<string | null> {
    return this.row(pid).getByText(/^(exited|killed|crashed)$/).getAttribute('title');
  }

  /** The core the process runs on (or last ran on): the Core column. */
  async coreOf(pid: number): Promise<string> {
    return (await this.row(pid).getByRole('cell').nth(CELL.core).innerText()).trim();
  }

  async priorityClassOf(pid: number): Promise<string> {
    return this.row(pid).getByLabel(`Priority class of process ${pid}`).inputValue();
  }

  async niceOf(pid: number): Promise<number> {
    return Number(await this.row(pid).getByLabel(/^nice -?\d+$/).innerText());
  }

  /** The tokens/s the row shows right now. */
  async rateOf(pid: number): Promise<number> {
    const text = await this.row(pid).getByRole('cell').nth(CELL.rate).innerText();
    return Number(text.replace(/[^\d.]/g, '')) || 0;
  }

  /** The KV cell: "244.1 KiB ram" when swapped out, "slot 0" when resident. */
  async kvOf(pid: number): Promise<string> {
    return this.row(pid).getByRole('cell').nth(CELL.kv).innerText();
  }

  /** The context cell: resident tokens, and "+N" for tokens paged out to long-term memory. */
  async contextOf(pid: number): Promise<string> {
    return this.row(pid).getByRole('cell').nth(CELL.context).innerText();
  }

  async openRenice(pid: number): Promise<ReniceDialogPage> {
    await this.row(pid).getByRole('button', { name: `Renice process ${pid}` }).click();
    return new ReniceDialogPage(this.page);
  }

  /** Kill asks first: this confirms in the dialog, and waits for the dialog to close. */
  async kill(pid: number): Promise<void> {
    await this.row(pid).getByRole('button', { name: `Kill process ${pid}` }).click();
    const dialog = this.page.getByRole('dialog', { name: new RegExp(`^Kill .*\\(pid ${pid}\\)\\?`) });
    await dialog.getByRole('button', { name: 'Kill', exact: true }).click();
    await dialog.waitFor({ state: 'detached' });
  }

  /** The state badge's text: "killed" for a killed process (data-state stays "exited"). */
  async stateLabelOf(pid: number): Promise<string> {
    return this.row(pid).getByRole('cell').nth(CELL.state).innerText();
  }

  async suspend(pid: number): Promise<void> {
    await this.row(pid).getByRole('button', { name: `Suspend process ${pid}` }).click();
  }

  async resume(pid: number): Promise<void> {
    await this.row(pid).getByRole('button', { name: `Resume process ${pid}` }).click();
  }

  async openConsole(pid: number): Promise<void> {
    const button = this.row(pid).getByRole('button', { name: `Open console of process ${pid},` });
    if ((await button.getAttribute('aria-pressed')) !== 'true') await button.click();
  }

  /** A card of the gallery dock beside the table. */
  dockCard(agentName: string): Locator {
    return this.page.getByRole('list', { name: 'Gallery agents' }).getByRole('listitem', { name: agentName, exact: true });
  }

  /** Drags a gallery card onto the table: the install dialog opens. */
  async dragFromGallery(agentName: string): Promise<InstallDialogPage> {
    await this.dockCard(agentName).dragTo(this.table);
    const dialog = new InstallDialogPage(this.page, agentName);
    await dialog.waitForOpen();
    return dialog;
  }

  /** The keyboard way: the card's Install button. */
  async installFromDock(agentName: string): Promise<InstallDialogPage> {
    await this.dockCard(agentName).getByRole('button', { name: `Install ${agentName}` }).click();
    const dialog = new InstallDialogPage(this.page, agentName);
    await dialog.waitForOpen();
    return dialog;
  }
}
