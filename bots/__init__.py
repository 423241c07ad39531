"""Chat front-ends of Éclaireur; they talk to the API over HTTP, never to the index."""
