"""A Keras SELU model written from memory: SELU activations, but the default glorot_uniform init
and plain Dropout. Both break self-normalization; NormLens suggests lecun_normal and AlphaDropout."""
from tensorflow import keras
from tensorflow.keras import layers

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(512, activation="selu"),
    layers.Dense(512, activation="selu"),
    layers.Dropout(0.1),
    layers.Dense(256, activation="selu", kernel_initializer="he_normal"),
    layers.Dense(256, activation="selu", kernel_initializer="lecun_normal"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
