// TokenAccounting spend dashboard: the grouping switch, "Refresh now" and auto-refresh.
// Served from the package (no CDN); runs under a Content-Security-Policy without 'unsafe-inline'.
(function () {
  'use strict';

  var root = document.getElementById('dashboard');
  if (!root) {
    return;
  }

  var form = document.getElementById('dashboard-controls');
  var content = document.getElementById('dashboard-content');
  var status = document.getElementById('refresh-status');
  var auto = document.getElementById('auto-refresh');
  var now = document.getElementById('refresh-now');
  var contentUrl = root.getAttribute('data-content-url');
  var seconds = parseInt(root.getAttribute('data-refresh-seconds'), 10) || 0;
  var refreshes = 0;
  var busy = false;
  var timer = null;

  function generatedAt() {
    var view = content.querySelector('.dashboard-view');
    return view ? view.getAttribute('data-generated') : '';
  }

  function show(text) {
    status.textContent = text;
  }

  // The grouping switch applies at once; dates apply with "Show" (a date typed digit by digit is valid too early).
  var grouping = form.elements.namedItem('groupBy');
  grouping.addEventListener('change', function () {
    if (form.reportValidity()) {
      form.submit();
    }
  });

  form.addEventListener('submit', function (event) {
    var from = form.elements.namedItem('from');
    var to = form.elements.namedItem('to');
    if (from.value && to.value && to.value < from.value) {
      event.preventDefault();
      to.setCustomValidity("'to' is before 'from'.");
      to.reportValidity();
      to.setCustomValidity('');
    }
  });

  // Reloads the figures of the range and grouping the page shows (its own query), not unsaved edits in the form.
  function refresh() {
    if (busy) {
      return;
    }

    busy = true;
    show('Refreshing\u2026');
    fetch(contentUrl + window.location.search, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/html' } })
      .then(function (response) {
        return response.text().then(function (text) {
          if (!response.ok) {
            var failure = new DOMParser().parseFromString(text, 'text/html').body.textContent.trim();
            throw new Error('HTTP ' + response.status + (failure ? ': ' + failure : ''));
          }

          return text;
        });
      })
      .then(function (text) {
        var parsed = new DOMParser().parseFromString(text, 'text/html');
        content.replaceChildren.apply(content, Array.prototype.slice.call(parsed.body.childNodes));
        refreshes += 1;
        root.setAttribute('data-refreshes', String(refreshes));
        show('Updated ' + generatedAt());
      })
      .catch(function (error) {
        root.setAttribute('data-refresh-error', error.message);
        show('Refresh failed (' + error.message + '); showing the previous figures.');
      })
      .then(function () {
        busy = false;
        schedule();
      });
  }

  function schedule() {
    if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }

    if (seconds > 0 && auto && auto.checked) {
      timer = setTimeout(function () {
        timer = null;
        if (document.hidden) {
          schedule();
        } else {
          refresh();
        }
      }, seconds * 1000);
    }
  }

  now.addEventListener('click', refresh);
  if (auto) {
    auto.addEventListener('change', schedule);
  }

  document.addEventListener('visibilitychange', function () {
    if (!document.hidden && auto && auto.checked && timer === null && !busy) {
      refresh();
    }
  });

  show('Updated ' + generatedAt());
  root.setAttribute('data-ready', 'true');
  schedule();
}());
