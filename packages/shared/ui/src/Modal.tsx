// A modal dialog done once: labelled for screen readers, focus moved in on open (to the first
// field, or `initialFocus`), kept inside while it is open (Tab and Shift+Tab wrap), Escape and a
// click on the backdrop close it, and focus goes back to what opened it.
import { useEffect, useId, useRef, type ReactNode } from 'react';

const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

interface Props {
  title: ReactNode;
  onClose: () => void;
  children: ReactNode;
  /** alertdialog: a question that needs an answer (confirmations). */
  role?: 'dialog' | 'alertdialog';
  /** CSS selector of the element to focus first. */
  initialFocus?: string;
  className?: string;
  describedBy?: string;
  testId?: string;
}

export function Modal({ title, onClose, children, role = 'dialog', initialFocus, className, describedBy, testId }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const el = box.current;
    const first = (initialFocus && el?.querySelector<HTMLElement>(initialFocus)) || el?.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.preventDefault();
        close.current();
        return;
      }
      if (e.key !== 'Tab' || !el) return;
      const items = [...el.querySelectorAll<HTMLElement>(FOCUSABLE)].filter((x) => x.offsetParent !== null || x === document.activeElement);
      if (!items.length) return;
      const i = items.indexOf(document.activeElement as HTMLElement);
      if (e.shiftKey && (i <= 0)) {
        e.preventDefault();
        items[items.length - 1].focus();
      } else if (!e.shiftKey && i === items.length - 1) {
        e.preventDefault();
        items[0].focus();
      }
    };
    document.addEventListener('keydown', onKey, true);
    return () => {
      document.removeEventListener('keydown', onKey, true);
      opener?.focus?.();
    };
  }, [initialFocus]);

  return (
    <div className="modal-backdrop" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal ${className ?? ''}`} role={role} aria-modal="true" aria-labelledby={titleId}
        aria-describedby={describedBy} ref={box} data-testid={testId}>
        <div className="row">
          <h2 id={titleId} className="grow">{title}</h2>
          <button type="button" onClick={onClose} aria-label="Close">✕</button>
        </div>
        {children}
      </div>
    </div>
  );
}

/** "Are you sure?": the safe answer has the focus, the risky one says what it does. */
export function ConfirmDialog({ title, message, confirm, onConfirm, onCancel, busy }:
  { title: string; message: ReactNode; confirm: string; onConfirm: () => void; onCancel: () => void; busy?: boolean }) {
  const msgId = useId();
  return (
    <Modal title={title} onClose={onCancel} role="alertdialog" initialFocus="[data-autofocus]" describedBy={msgId} className="modal-small" testId="confirm-dialog">
      <div id={msgId}>{message}</div>
      <div className="actions">
        <button type="button" className="danger" onClick={onConfirm} disabled={busy}>{confirm}</button>
        <button type="button" onClick={onCancel} data-autofocus>Cancel</button>
      </div>
    </Modal>
  );
}
