// Dialogs: labelled, focus moved in and given back, Escape and the backdrop close them.
import { afterEach, describe, expect, it } from 'vitest';
import { ConfirmDialog, Modal } from './Modal';
import { click, key, render, type Rendered } from './testing';

let view: Rendered | undefined;
afterEach(() => view?.unmount());

describe('dialogs', () => {
  it('is a labelled modal dialog with the focus on its first field; Escape closes it', () => {
    const opener = document.createElement('button');
    document.body.appendChild(opener);
    opener.focus();
    let closed = 0;
    view = render(<Modal title="Render" onClose={() => closed++}><input aria-label="Title" /></Modal>);
    const dialog = view.container.querySelector('[role="dialog"]')!;
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.getElementById(dialog.getAttribute('aria-labelledby')!)!.textContent).toBe('Render');
    // the close button comes first, then the field: the first focusable element gets the focus
    expect(document.activeElement?.getAttribute('aria-label')).toBe('Close');
    key(document.activeElement!, 'Escape');
    expect(closed).toBe(1);
    click(view.container.querySelector('.modal-backdrop'));
    expect(closed).toBe(2);
    view.unmount();
    view = undefined;
    expect(document.activeElement).toBe(opener);
    opener.remove();
  });

  it('asks before a risky action with the focus on Cancel', () => {
    const said: string[] = [];
    view = render(<ConfirmDialog title="Delete media?" message="This removes the file." confirm="Delete"
      onConfirm={() => said.push('delete')} onCancel={() => said.push('cancel')} />);
    const dialog = view.container.querySelector('[role="alertdialog"]')!;
    expect(document.getElementById(dialog.getAttribute('aria-describedby')!)!.textContent).toBe('This removes the file.');
    expect(document.activeElement?.textContent).toBe('Cancel');
    click([...dialog.querySelectorAll('button')].find((b) => b.textContent === 'Delete')!);
    key(document.activeElement!, 'Escape');
    expect(said).toEqual(['delete', 'cancel']);
  });
});
