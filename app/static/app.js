// Progressive enhancement only; every page works without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Show only the modules of the chosen 研修领域 (the server validates the same rule).
  const domain = document.querySelector("select[name=domain][data-modules]");
  if (domain) {
    const map = JSON.parse(domain.dataset.modules);
    const sync = () => {
      const allowed = map[domain.value] || null;
      document.querySelectorAll("input[name=modules]").forEach((box) => {
        const item = box.closest("li");
        const show = !allowed || allowed.includes(box.value);
        if (item) item.hidden = !show;
        if (!show) box.checked = false;
      });
    };
    domain.addEventListener("change", sync);
    sync();
  }
  // Inline handlers are forbidden by the Content-Security-Policy; these data attributes replace them.
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form.submit());
  });
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });
  // Ctrl+Enter submits the task form from anywhere inside it.
  const form = document.getElementById("task-form");
  if (form) {
    form.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) {
        const submit = form.querySelector("button[value=submit]");
        if (submit) { ev.preventDefault(); submit.click(); }
      }
    });
  }
});
