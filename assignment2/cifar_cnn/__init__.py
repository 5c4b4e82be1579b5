"""Assignment 2: convolutional networks in NumPy (layers, ConvNet, SGD) and in PyTorch on CIFAR-10."""
