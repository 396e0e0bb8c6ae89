// The 打印 button of the printable documents (no inline handlers: the CSP allows scripts from 'self').
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-print]").forEach((button) => button.addEventListener("click", () => window.print()));
});
