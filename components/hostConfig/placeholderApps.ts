// Placeholder app images: what each one answers, read from the image's own source. A stack that has not set
// `app.image` yet runs one of them, and the load balancers check `app.healthPath` on it; a placeholder that
// answers that path with 404 leaves every backend unhealthy, so tiers 1-3 answer 503. The preflight compares the
// two, and the data-plane tests run a stand-in that answers exactly what the image answers.

/** A public image that serves a page but is not an app (no database, no health endpoint of its own). */
export interface PlaceholderApp {
    /** Repository references that name the image, without tag or digest (registry mirrors included). */
    readonly repositories: readonly string[];
    /** The TCP port it listens on inside the container; the app unit publishes `app.port` on the same number. */
    readonly port: number;
    /** The URL paths it answers with 200: every path, or exactly these (404 elsewhere). */
    readonly answers: "every path" | readonly string[];
    /** What a visitor sees, for messages. */
    readonly serves: string;
    /** Where `port` and `answers` come from. */
    readonly source: string;
}

/**
 * Google's hello-app, webstack's default `app.image`: one handler on "/" of a ServeMux, which in Go matches every
 * path, so `/healthz` answers 200 ("It responds to all HTTP requests with a `Hello, world!` response"); it listens
 * on $PORT, which its Dockerfile sets to 8080, as a non-root user.
 */
export const HELLO_APP: PlaceholderApp = {
    repositories: ["us-docker.pkg.dev/google-samples/containers/gke/hello-app", "gcr.io/google-samples/hello-app"],
    port: 8080,
    answers: "every path",
    serves: 'a "Hello, world!" page',
    source: 'GoogleCloudPlatform/kubernetes-engine-samples@2b503651 quickstarts/hello-app/main.go:31-37 (mux.HandleFunc("/", hello); $PORT, else 8080), Dockerfile:25-26 (ENV PORT=8080, USER nonroot), README.md:14-22 (the public images)',
};

/**
 * nginx-unprivileged, the default until it failed the default health check: the stock nginx.org site, moved to
 * port 8080. It serves /usr/share/nginx/html (index.html and 50x.html) at "/" and answers any other path with 404.
 */
export const NGINX_UNPRIVILEGED: PlaceholderApp = {
    repositories: [
        "ghcr.io/nginxinc/nginx-unprivileged",
        "nginxinc/nginx-unprivileged",
        "docker.io/nginxinc/nginx-unprivileged",
    ],
    port: 8080,
    answers: ["/", "/index.html", "/50x.html"],
    serves: 'nginx\'s "Welcome to nginx!" page',
    source: "nginxinc/docker-nginx-unprivileged@8ead5ced stable/debian/Dockerfile:139 (listen 80 -> 8080); nginx/pkg-oss@e6727633 debian/debian/nginx.default.conf:7-10,16-19 (location / with root /usr/share/nginx/html; 50x.html) and debian/debian/nginx.install (html/index.html, html/50x.html)",
};

export const PLACEHOLDER_APPS: readonly PlaceholderApp[] = [HELLO_APP, NGINX_UNPRIVILEGED];

/** The image's repository: the reference without its `@sha256:` digest and `:tag` (a registry port stays). */
export function repositoryOf(image: string): string {
    const name = image.split("@")[0];
    const slash = name.lastIndexOf("/");
    const colon = name.lastIndexOf(":");
    return colon > slash ? name.slice(0, colon) : name;
}

/** The placeholder `image` is, whatever its tag or digest; undefined for any other image. */
export function placeholderApp(image: string): PlaceholderApp | undefined {
    const repository = repositoryOf(image);
    return PLACEHOLDER_APPS.find((app) => app.repositories.includes(repository));
}

/** True when the placeholder answers `path` with 200 (the query string plays no part in its routing). */
export function answers(app: PlaceholderApp, path: string): boolean {
    return app.answers === "every path" || app.answers.includes(path.split("?")[0]);
}
