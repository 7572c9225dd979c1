// Renders the server's own OpenAPI description. Kept in a file of its own
// because the page's Content-Security-Policy allows no inline script.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/v1/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true,
    docExpansion: "list",
    // No call to the public validator service: nothing leaves the server.
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout"
  });
});
