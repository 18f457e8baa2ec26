// A result's notes (what the job did that its user should know, such as the source streams it
// left out), as a labelled list; nothing when there are none.
import { useId } from 'react';

/** heading: the level that fits where the list sits (under the page's h1, a group's h3, a card's h4). */
export function ResultNotes({ notes, heading: Heading = 'h2' }: { notes: string[]; heading?: 'h2' | 'h4' | 'h5' }) {
  const id = useId();
  if (!notes.length) return null;
  return (
    <div className="notes" role="note" aria-labelledby={id} data-testid="job-notes">
      <Heading id={id}>Notes</Heading>
      <ul>
        {notes.map((n, i) => <li key={i} data-testid="job-note">{n}</li>)}
      </ul>
    </div>
  );
}
