// Typeset the maths of a page that is not a lesson (a live session's record): every
// element marked data-maths, with the lessons' delimiters \( \) and \[ \].
const options = {
  delimiters: [
    { left: "\\(", right: "\\)", display: false },
    { left: "\\[", right: "\\]", display: true },
  ],
  throwOnError: false,
};

for (const el of document.querySelectorAll("[data-maths]")) window.renderMathInElement?.(el, options);
