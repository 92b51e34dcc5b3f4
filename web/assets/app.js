// Small page helpers (no framework): confirm deletes, and point the value field at the suggestions of its scope.
document.addEventListener('submit', (ev) => {
  const form = ev.target;
  const msg = form instanceof HTMLFormElement && form.dataset.confirm;
  if (msg && !window.confirm(msg)) ev.preventDefault();
});
for (const form of document.querySelectorAll('form[data-scope-form]')) {
  const scope = form.querySelector('select[name=scope]');
  const value = form.querySelector('input[name=value]');
  if (scope && value) scope.addEventListener('change', () => value.setAttribute('list', `list-${scope.value}`));
}
