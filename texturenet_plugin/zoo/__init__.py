"""Models on disk and on the network (floor 3): the ``.tnet`` model file, local models, the
download cache, indexes, publishing, verification, and the descriptors' pretrained weights."""
