import type { Locator, Page } from 'playwright';

/** The selected agent's console: streamed output, tool calls and results, and its message box. */
export class ConsolePage {
  constructor(readonly page: Page) {}

  output(pid: number): Locator {
    return this.page.getByRole('log', { name: `Output of process ${pid}` });
  }

  async send(agentName: string, text: string): Promise<void> {
    await this.page.getByLabel(`Message to ${agentName}`).fill(text);
    await this.page.getByRole('button', { name: 'Send' }).click();
  }
}
