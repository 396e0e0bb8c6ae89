// "添加一行" for editable row tables (progressive enhancement; blank rows are ignored on the server).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("button[data-add-row]").forEach((button) => {
    button.hidden = false;
    button.addEventListener("click", () => {
      const body = document.getElementById(button.dataset.addRow);
      const rows = body.querySelectorAll("tr[data-row]");
      const last = rows[rows.length - 1];
      const index = rows.length;
      const clone = last.cloneNode(true);
      clone.querySelectorAll("input, select").forEach((el) => {
        ["name", "id"].forEach((attr) => {
          const value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(/-\d+-/, `-${index}-`));
        });
        if (el.tagName === "SELECT") el.selectedIndex = 0;
        else if (el.type !== "hidden" || el.name.endsWith("-key")) el.value = "";
        el.removeAttribute("aria-invalid");
      });
      clone.querySelectorAll("ul.errors").forEach((ul) => ul.remove());
      clone.querySelectorAll(".has-error").forEach((td) => td.classList.remove("has-error"));
      const number = clone.querySelector("td.num");
      if (number) number.textContent = index + 1;
      body.appendChild(clone);
    });
  });
});
