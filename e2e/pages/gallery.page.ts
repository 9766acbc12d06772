import type { Locator, Page } from 'playwright';
import { InstallDialogPage } from './install-dialog.page.js';

/** The Gallery view: a card per agent with its tools and requested capabilities. */
export class GalleryPage {
  constructor(readonly page: Page) {}

  get cards(): Locator {
    return this.page.getByRole('list', { name: 'Gallery agents' }).getByRole('listitem').filter({ has: this.page.getByRole('heading', { level: 3 }) });
  }

  card(agentName: string): Locator {
    return this.cards.filter({ has: this.page.getByRole('heading', { name: agentName, exact: true }) });
  }

  async capabilitiesOf(agentName: string): Promise<string[]> {
    return this.card(agentName).getByRole('list').getByRole('listitem').allInnerTexts();
  }

  /** The keyboard way to install: focus the card's button and press Enter. */
  async install(agentName: string): Promise<InstallDialogPage> {
    const button = this.card(agentName).getByRole('button', { name: `Install ${agentName}` });
    await button.focus();
    await this.page.keyboard.press('Enter');
    const dialog = new InstallDialogPage(this.page, agentName);
    await dialog.waitForOpen();
    return dialog;
  }

  /** Drags a card onto the Task Manager tab: the view switches and the install dialog opens. */
  async dragToTaskManager(agentName: string): Promise<InstallDialogPage> {
    await this.card(agentName).dragTo(this.page.getByRole('tab', { name: /^Task Manager/ }));
    const dialog = new InstallDialogPage(this.page, agentName);
    await dialog.waitForOpen();
    return dialog;
  }
}
