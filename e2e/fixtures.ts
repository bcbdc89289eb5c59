import { test as base, expect } from '@playwright/test';
import { LabPage } from './lab.page';

/** Marks the error a spec throws in the worker on purpose; not counted as an app error. */
export const SIMULATED_CRASH = 'e2e: simulated worker crash';

/**
 * `lab`: the page object over a fresh page. Every test also fails on a native dialog (alert,
 * confirm: nothing in the app opens one, so one means injected script) and on an uncaught page
 * error; both are collected and reported after the test body so the real failure shows first.
 */
export const test = base.extend<{ lab: LabPage }>({
  // The second argument is named `provide`, not `use`: react-hooks lint takes `use(…)` for a hook.
  lab: async ({ page }, provide, testInfo) => {
    const dialogs: string[] = [];
    const pageErrors: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on('pageerror', (e) => {
      if (!e.message.includes(SIMULATED_CRASH)) pageErrors.push(e.stack ?? e.message);
    });
    // Console errors and warnings (e.g. TF.js announcing a backend fallback) go with the report.
    let logged = 0;
    page.on('console', (m) => {
      if ((m.type() === 'error' || m.type() === 'warning') && logged++ < 50)
        testInfo.annotations.push({ type: `console.${m.type()}`, description: m.text() });
    });
    await provide(new LabPage(page));
    expect(dialogs, 'no dialog was opened').toEqual([]);
    expect(pageErrors, 'no uncaught error in the page').toEqual([]);
  },
});

export { expect };
