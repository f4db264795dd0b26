// Movies (shared by every theatre): the list, a new one, and editing one, the languages it is
// released in included (a show is in one of them).
import { get, patch, post } from "../api.js";
import { manageShell } from "../components/manage-shell.js";
import { languagesOf } from "../components/show-form.js";
import { busy, field, h, messageBox } from "../ui.js";

const list = (text) => text.split(",").map((part) => part.trim()).filter(Boolean);

export default async function moviesPage(main) {
  const shell = await manageShell(main, "Movies", "/manage/movies");
  if (!shell) return;
  const { body } = shell;
  const messages = messageBox("movies");
  const table = h("div", { class: "movie-table" });
  const formSlot = h("div", {});
  const add = h("button", { type: "button", class: "primary" }, "Add a movie");
  add.addEventListener("click", () => openForm(null));
  body.append(h("div", { class: "actions" }, add), formSlot, messages.element, table);

  async function load() {
    const movies = await get("/api/v1/movies?limit=100", { auth: "none" });
    table.replaceChildren(h("table", { class: "cards-on-phone" },
      h("caption", {}, "Movies"),
      h("thead", {}, h("tr", {}, ["Title", "Length", "Languages", "Certificate", "Release", ""].map((t) => h("th", { scope: "col" }, t)))),
      h("tbody", {}, movies.items.map((movie) => {
        const edit = h("button", { type: "button", class: "link", "aria-label": `Edit ${movie.title}` }, "Edit");
        edit.addEventListener("click", () => openForm(movie));
        const cells = [movie.title, `${movie.duration_minutes} min`, languagesOf(movie).join(", "), movie.certificate, movie.release_date, edit];
        return h("tr", { "data-movie-id": movie.id }, cells.map((cell, i) => h("td", { "data-label": ["Title", "Length", "Languages", "Certificate", "Release", ""][i] }, cell)));
      }))));
  }

  function openForm(movie) {
    const form = movieForm(movie, async (saved) => {
      formSlot.replaceChildren();
      messages.info(`${saved.title} ${movie ? "saved" : "added"}.`);
      await load();
    }, () => { formSlot.replaceChildren(); add.focus(); });
    formSlot.replaceChildren(form);
    form.querySelector("input").focus();
  }
  await load();
}

function movieForm(movie, onSaved, onCancel) {
  const messages = messageBox("movie");
  const input = (name, attributes = {}) => h("input", { name, value: movie ? movie[name] ?? "" : "", ...attributes });
  const title = input("title", { type: "text", required: true });
  const duration = input("duration_minutes", { type: "number", min: 1, max: 600, required: true });
  const language = input("language", { type: "text", required: true });
  const languages = h("input", { type: "text", name: "languages", value: movie ? languagesOf(movie).join(", ") : "" });
  const certificate = input("certificate", { type: "text", required: true });
  const genres = h("input", { type: "text", name: "genres", value: movie ? movie.genres.join(", ") : "" });
  const release = input("release_date", { type: "date", required: true });
  const save = h("button", { type: "submit", class: "primary" }, movie ? "Save the movie" : "Add the movie");
  const cancel = h("button", { type: "button", onclick: onCancel }, "Cancel");
  const form = h("form", { class: "panel movie-form", "aria-label": movie ? `Edit ${movie.title}` : "New movie" },
    h("h2", {}, movie ? `Edit ${movie.title}` : "New movie"),
    field("Title", title), field("Length (minutes)", duration), field("Original language", language),
    field("Released in (languages, comma separated)", languages), field("Certificate (U, UA, A…)", certificate),
    field("Genres (comma separated)", genres), field("Release date", release),
    h("div", { class: "actions" }, save, cancel), messages.element);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy(save, messages, async () => {
      const wanted = {
        title: title.value.trim(), duration_minutes: Number(duration.value), language: language.value.trim(),
        certificate: certificate.value.trim(), genres: list(genres.value), release_date: release.value,
      };
      const spoken = list(languages.value);
      if (spoken.length || (movie && movie.languages)) wanted.languages = spoken.length ? spoken : [wanted.language];
      if (!movie) {
        onSaved(await post("/api/v1/movies", wanted));
        return;
      }
      const changes = Object.fromEntries(Object.entries(wanted).filter(([key, value]) => JSON.stringify(value) !== JSON.stringify(movie[key])));
      onSaved(Object.keys(changes).length ? await patch(`/api/v1/movies/${movie.id}`, changes) : movie);
    });
  });
  return form;
}
