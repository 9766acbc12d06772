import { useId, useState } from 'react';
import type { ToolPackageReview } from '../../../src-shared/index.js';
import { useKernelStore } from '../../store/kernel-store.js';
import { formatBytes } from '../common/format.js';
import { ModalDialog } from '../common/modal-dialog.js';
import { SIGNATURE_LABEL, describeRequirement, explainSignature, limitFacts, needsUnsignedConsent } from '../common/tool-facts.js';

function Fact({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** The words of a requirement, with the argument it names (between backticks) set as code. */
function Requirement({ text }: { text: string }) {
  return <>{text.split('`').map((part, index) => (index % 2 === 1 ? <code key={index}>{part}</code> : part))}</>;
}

function ReviewForm({ review, openerId }: { review: ToolPackageReview; openerId: string | null }) {
  const install = useKernelStore((state) => state.installReviewedTool);
  const discard = useKernelStore((state) => state.discardReviewedTool);
  const busy = useKernelStore((state) => state.toolPackages.busy);
  const error = useKernelStore((state) => state.toolPackages.error);
  const [consent, setConsent] = useState(false);
  const summaryId = useId();
  const consentNeeded = needsUnsignedConsent(review.signature);
  // A broken signature means changed files: nothing the user can approve makes them the publisher's.
  const blocked = review.problems.length > 0 || review.signature === 'invalid';
  const canInstall = !blocked && !busy && (!consentNeeded || consent);

  return (
    <ModalDialog
      title={`Install the tool ${review.name}?`}
      closeLabel="Cancel and discard"
      onCancel={() => void discard()}
      className={`tool-review-dialog signature-${review.signature}`}
      describedBy={summaryId}
      returnFocusTo={openerId}
    >
      <form
        className="dialog-body"
        onSubmit={(event) => {
          event.preventDefault();
          if (canInstall) void install(consentNeeded);
        }}
      >
        <p id={summaryId}>{review.description}</p>
        <dl className="grant-facts tool-facts">
          <Fact term="Name">
            <code>{review.name}</code>
          </Fact>
          <Fact term="Publisher">{review.publisher ?? <span className="muted">none named</span>}</Fact>
          <Fact term="Key">{review.keyId ? <code>{review.keyId}</code> : <span className="muted">none</span>}</Fact>
          <Fact term="Signature">
            <span className={`signature signature-badge-${review.signature}`}>{SIGNATURE_LABEL[review.signature]}</span>{' '}
            <span className="signature-explanation">{explainSignature(review.signature, review.publisher, review.keyId)}</span>
          </Fact>
          <Fact term="sha256">
            <code className="digest" aria-label="Package sha256">
              {review.sha256}
            </code>
          </Fact>
          <Fact term="Size">{formatBytes(review.sizeBytes)}</Fact>
        </dl>
        <section className="tool-section" aria-label="What it can ask for">
          <h3>What it can ask for</h3>
          {review.requires.length === 0 ? (
            <p className="muted">Nothing: it works only on its arguments.</p>
          ) : (
            <ul>
              {review.requires.map((requirement) => (
                <li key={describeRequirement(requirement)}>
                  <Requirement text={describeRequirement(requirement)} />
                </li>
              ))}
            </ul>
          )}
          <p className="muted">Installing grants nothing: each access is asked for, or granted, when an agent calls the tool.</p>
        </section>
        <dl className="grant-facts tool-facts" aria-label="Limits and imports">
          {limitFacts(review.limits).map(([term, value]) => (
            <Fact key={term} term={term}>
              {value}
            </Fact>
          ))}
          <Fact term="Host functions">
            {review.hostFunctions.length === 0 ? <span className="muted">none</span> : review.hostFunctions.map((name) => <code key={name}>{name} </code>)}
          </Fact>
          <Fact term="WASI">{review.wasi ? 'uses the WASI subset the kernel offers' : 'not used'}</Fact>
        </dl>
        {review.problems.length > 0 ? (
          <section className="tool-problems" aria-label="Problems">
            <h3>It cannot be installed as it is</h3>
            <ul>
              {review.problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          </section>
        ) : null}
        {consentNeeded && !blocked ? (
          <label className="check consent">
            <input type="checkbox" checked={consent} onChange={(event) => setConsent(event.target.checked)} />
            <span>Install this unsigned tool</span>
          </label>
        ) : null}
        {error ? (
          <p role="alert" className="dialog-error">
            {error}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" className="quiet" data-autofocus onClick={() => void discard()}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!canInstall}>
            {busy ? 'Installing…' : 'Install'}
          </button>
        </div>
      </form>
    </ModalDialog>
  );
}

/**
 * The review of a staged tool package: who signed it, its digest, what it can ask for, its limits
 * and imports. Nothing is installed until the user approves; an unsigned one needs an extra tick.
 */
export function ToolReviewDialog() {
  const review = useKernelStore((state) => state.toolPackages.review);
  const openerId = useKernelStore((state) => state.toolPackages.openerId);
  if (!review) return null;
  return <ReviewForm key={review.reviewId} review={review} openerId={openerId} />;
}
