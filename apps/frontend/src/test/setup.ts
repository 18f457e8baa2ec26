// jsdom has no canvas and no scrolling: make both quiet no-ops for component tests.
HTMLCanvasElement.prototype.getContext = (() => null) as typeof HTMLCanvasElement.prototype.getContext;
window.scrollTo = (() => undefined) as typeof window.scrollTo;
