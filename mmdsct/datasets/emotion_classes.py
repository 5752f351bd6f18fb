"""Emotion class names of the supported releases, in their label order."""

# EMOTIC's 26 discrete categories (docs/annotation_format.md), in the order
# of the DSCT bit packing: the first name is the most significant of the 26
# bits.
EMOTIC_CLASSES = ('Affection', 'Anger', 'Annoyance', 'Anticipation',
                  'Aversion', 'Confidence', 'Disapproval', 'Disconnection',
                  'Disquietment', 'Doubt/Confusion', 'Embarrassment',
                  'Engagement', 'Esteem', 'Excitement', 'Fatigue', 'Fear',
                  'Happiness', 'Pain', 'Peace', 'Pleasure', 'Sadness',
                  'Sensitivity', 'Suffering', 'Surprise', 'Sympathy',
                  'Yearning')

# CAER-S's 7 classes (docs/annotation_format.md), alphabetical as its folders.
CAERS_CLASSES = ('Anger', 'Disgust', 'Fear', 'Happy', 'Neutral', 'Sad',
                 'Surprise')

# Folder or label spellings found in some CAER-S copies.
CAERS_CLASS_ALIASES = {'Angry': 'Anger'}
