// GraphiQL for this service: every asset comes from the service itself, and nothing is kept in the browser's
// storage (GraphiQL would keep the tabs, and with them the Authorization header, in localStorage).
(function () {
  var endpoint = window.location.origin + "/graphql";
  var sockets = endpoint.replace(/^http/, "ws");

  function memoryStorage() {
    var items = {};
    return {
      getItem: function (key) { return Object.prototype.hasOwnProperty.call(items, key) ? items[key] : null; },
      setItem: function (key, value) { items[key] = String(value); },
      removeItem: function (key) { delete items[key]; },
      clear: function () { items = {}; },
      get length() { return Object.keys(items).length; },
    };
  }

  // For subscriptions GraphiQL sends the headers pane (with the token) as the connection_init payload.
  var fetcher = GraphiQL.createFetcher({ url: endpoint, subscriptionUrl: sockets });

  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(React.createElement(GraphiQL, {
    fetcher: fetcher,
    storage: memoryStorage(),
    shouldPersistHeaders: false,
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: "headers",
    defaultHeaders: '{\n  "Authorization": "Bearer <paste a token from send-records token>"\n}',
    defaultQuery: "# Set your bearer token in the headers pane below, then run:\n{ partnerships { id name } }\n",
  }));
})();
