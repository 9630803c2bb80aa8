// greetcard serve: a little vanilla JS over server-rendered parts. No build step, no network but this server.
"use strict";
(function () {
  const token = document.querySelector('meta[name="greetcard-token"]').content;
  const T = JSON.parse(document.getElementById("strings").textContent);
  const body = document.body;
  let generation = Number(body.dataset.generation);
  let selectedCard = null;
  let guides = false;
  let renderWasRunning = false;
  let failures = 0;

  function format(text, values) {
    return text.replace(/\{(\w+)\}/g, (_, key) => (key in values ? values[key] : ""));
  }

  function toast(message) {
    const box = document.getElementById("toast");
    box.textContent = message;
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => { box.hidden = true; }, 8000);
  }

  async function post(url, data, headers) {
    const raw = data instanceof Blob;
    const response = await fetch(url, {
      method: "POST",
      headers: Object.assign({ "X-Greetcard-Token": token }, raw ? {} : { "Content-Type": "application/json" }, headers || {}),
      body: raw ? data : JSON.stringify(data || {}),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      toast(answer.error || response.statusText);
      throw new Error(answer.error || response.statusText);
    }
    if (answer.generation) generation = answer.generation;
    return answer;
  }

  async function refresh(names) {
    for (const name of names || ["list", "template", "proof", "print"]) {
      const section = document.querySelector(`[data-part="${name}"]`);
      const response = await fetch(`/part/${name}`);
      if (!response.ok) continue;
      const kept = name === "proof" && selectedCard !== null ? document.getElementById("card-detail") : null;
      section.innerHTML = await response.text();
      const fresh = kept && document.getElementById("card-detail");
      if (fresh) fresh.replaceWith(kept);  // the open card stays until its new image is ready
    }
    if (selectedCard !== null) await showCard(selectedCard);
    markSteps();
    loadProofSheet();
  }

  function go(step) {
    body.dataset.step = step;
    history.replaceState(null, "", `/?step=${step}`);
    markSteps();
    window.scrollTo(0, 0);
    loadProofSheet();
  }

  // The proof sheet takes a second or two to draw for a long list: ask for it once the first
  // thumbnails are there, so that they are not kept waiting behind it.
  async function loadProofSheet() {
    const sheet = document.querySelector(".proof-sheet[data-src]");
    if (!sheet || body.dataset.step !== "proof") return;
    const first = [...document.querySelectorAll(".thumb img")].slice(0, 6);
    const timeout = new Promise((resolve) => setTimeout(resolve, 2000));
    await Promise.race([Promise.all(first.map((img) => img.decode().catch(() => {}))), timeout]);
    if (sheet.dataset.src) sheet.src = sheet.dataset.src;
    delete sheet.dataset.src;
  }

  function markSteps() {
    for (const tab of document.querySelectorAll("[role=tab]")) {
      tab.setAttribute("aria-selected", String(tab.dataset.goto === body.dataset.step));
    }
  }

  async function showCard(index) {
    selectedCard = index;
    const detail = document.getElementById("card-detail");
    if (!detail) return;
    const response = await fetch(`/part/card/${index}`);
    if (!response.ok) { selectedCard = null; return; }
    const next = document.createElement("div");
    next.innerHTML = await response.text();
    next.querySelector("#guides").checked = guides;
    const image = next.querySelector("#card-image");
    image.src = cardImageUrl(image.dataset.index);
    await image.decode().catch(() => {});  // swap when drawn: no flicker while a designer saves
    detail.replaceChildren(...next.childNodes);
    for (const thumb of document.querySelectorAll(".thumb")) {
      thumb.classList.toggle("selected", Number(thumb.dataset.card) === index);
    }
  }

  function cardImageUrl(index) {
    return `/api/card/${index}.png?guides=${guides ? 1 : 0}&v=${generation}`;
  }

  function updateCardImage() {
    const image = document.getElementById("card-image");
    if (image) image.src = cardImageUrl(image.dataset.index);
  }

  async function upload(file) {
    const limit = Number(body.dataset.maxUpload);
    if (file.size > limit) {
      toast(format(T.upload_too_large, { size: (file.size / 1048576).toFixed(1), limit: Math.floor(limit / 1048576) }));
      return;
    }
    document.getElementById("upload-busy").hidden = false;
    try {
      await post("/api/list", file, { "X-File-Name": encodeURIComponent(file.name) });
      selectedCard = null;
      await refresh();
    } finally {
      const busy = document.getElementById("upload-busy");
      if (busy) busy.hidden = true;
    }
  }

  function applyFilter() {
    const active = document.querySelector("#filters button.active");
    const status = active ? active.dataset.filter : "";
    const search = (document.getElementById("row-search") || { value: "" }).value.toLowerCase();
    for (const row of document.querySelectorAll("#rows tbody tr")) {
      const shown = (!status || row.dataset.status === status) && (!search || row.textContent.toLowerCase().includes(search));
      row.hidden = !shown;
    }
  }

  function showProgress(render) {
    const box = document.getElementById("progress");
    if (!box) return;
    box.hidden = !render.running;
    const bar = document.getElementById("progress-bar");
    bar.max = render.total || 1;
    bar.value = render.done;
    document.getElementById("progress-text").textContent = format(T.rendering, { done: render.done, total: render.total || "…" });
  }

  async function poll() {
    try {
      const response = await fetch("/api/status", { cache: "no-store" });
      if (!response.ok) throw new Error(response.statusText);
      const status = await response.json();
      failures = 0;
      if (status.generation !== generation) {
        // Designer mode: the template folder changed. The open card first, then the rest.
        generation = status.generation;
        if (selectedCard !== null) await showCard(selectedCard);
        await refresh(["template", "proof"]);
      }
      if (status.render) {
        if (status.render.running) {
          renderWasRunning = true;
          showProgress(status.render);
        } else if (renderWasRunning) {
          renderWasRunning = false;
          await refresh(["print"]);
        }
      }
    } catch (error) {
      failures += 1;
      if (failures === 3) toast(T.stopped);
    }
    setTimeout(poll, renderWasRunning ? 250 : 500);
  }

  // One listener per kind of event, on the document, so replaced parts need no re-binding.
  document.addEventListener("click", async (event) => {
    const target = event.target.closest("[data-goto], [data-filter], [data-card], #template-use, #render-button");
    if (!target) return;
    if (target.dataset.goto) return go(target.dataset.goto);
    if (target.dataset.filter !== undefined) {
      for (const button of document.querySelectorAll("#filters button")) {
        button.classList.toggle("active", button.dataset.filter === target.dataset.filter);
      }
      return applyFilter();
    }
    if (target.dataset.card !== undefined) {
      if (target.tagName === "TR") go("proof");
      return showCard(Number(target.dataset.card));
    }
    if (target.id === "template-use") {
      const folder = document.getElementById("template-folder").value.trim();
      const data = folder ? { folder } : { bundled: document.getElementById("template-bundled").value };
      await post("/api/template", data);
      return refresh();
    }
    if (target.id === "render-button") {
      target.disabled = true;
      try {
        await post("/api/render", {
          out: document.getElementById("out").value,
          press: document.getElementById("press").checked,
          impose: document.getElementById("impose").value,
        });
        renderWasRunning = true;
        showProgress({ running: true, done: 0, total: 0 });
      } catch (error) {
        target.disabled = false;
      }
    }
  });

  document.addEventListener("change", async (event) => {
    const target = event.target;
    if (target.id === "list-file" && target.files.length) return upload(target.files[0]);
    if (target.dataset.option) {
      await post("/api/list/options", {
        encoding: document.getElementById("encoding").value,
        delimiter: document.getElementById("delimiter").value,
      });
      return refresh();
    }
    if (target.classList.contains("profile-select")) {
      await post("/api/profile", { profile: target.value });
      return refresh();
    }
    if (target.id === "template-bundled") {
      document.getElementById("template-folder").value = "";
      await post("/api/template", { bundled: target.value });
      return refresh();
    }
    if (target.id === "guides") {
      guides = target.checked;
      updateCardImage();
    }
  });

  document.addEventListener("input", (event) => {
    if (event.target.id === "row-search") applyFilter();
  });

  for (const kind of ["dragenter", "dragover"]) {
    document.addEventListener(kind, (event) => {
      event.preventDefault();
      const zone = document.getElementById("dropzone");
      if (zone) zone.classList.add("over");
    });
  }
  document.addEventListener("dragleave", () => {
    const zone = document.getElementById("dropzone");
    if (zone) zone.classList.remove("over");
  });
  document.addEventListener("drop", (event) => {
    event.preventDefault();
    const zone = document.getElementById("dropzone");
    if (zone) zone.classList.remove("over");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) {
      go("list");
      upload(file);
    }
  });

  markSteps();
  loadProofSheet();
  poll();
})();
