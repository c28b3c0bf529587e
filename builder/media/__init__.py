"""Video and caption files: WebVTT, draft rendering, which file a unit uses."""
