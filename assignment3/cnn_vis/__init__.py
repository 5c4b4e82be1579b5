"""Assignment 3: what a CNN looks at (saliency, Grad-CAM, Captum), fooling images, class visualisation,
style transfer."""
