"""Sampling a synthetic scene: subjects, their context and the background.

A scene is sampled in two independent parts, from two random streams:

1. the *layout* (:func:`sample_layout`): subject boxes, how each subject
   looks, the ground colour, pebbles and pixel noise;
2. the *context* (:func:`sample_context`): the objects next to each subject,
   the night sky with its stars, and decoy objects.

Every pixel inside a subject box comes from the layout alone (objects,
decoys and the sky lie outside every box, see :class:`Geometry`), so a crop
of a subject carries no information about the context labels. Placement
reserves, around every subject, a *footprint*: the box plus room for an
object on each side. Footprints do not overlap and keep ``separation_px``
apart, whether or not objects are drawn, so the layout does not depend on
the context either.
"""
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .rules import Appearance, Context

Box = Tuple[int, int, int, int]

SKY_FRACTION = 0.18
MIN_SUBJECT_FRACTION = 0.22
MAX_SUBJECT_FRACTION = 0.30
SUBJECT_WIDTH_RATIO = 0.72
OBJECT_FRACTION = 0.08
NEAR_FRACTION = 0.025
SEPARATION_FRACTION = 0.06
MIN_IMAGE_SIZE = 64
GROUND_MARGIN_PX = 2
PLACEMENT_TRIES = 30
LAYOUT_TRIES = 20
NUM_GROUND_COLOURS = 5
PEBBLE_COUNT_RANGE = (4, 11)
PEBBLE_RADIUS_RANGE = (1, 4)
PEBBLE_SHADE_PX = 18
STAR_COUNT_RANGE = (5, 11)
SLOTS = (('left', 'upper'), ('left', 'lower'), ('right', 'upper'), ('right',
                                                                    'lower'))


@dataclass(frozen=True)
class Geometry:
    """Sizes in pixels for one image size; every size scales with it.

    Args:
        image_size (int): Side of the square image.
    """
    image_size: int

    def __post_init__(self) -> None:
        if self.image_size < MIN_IMAGE_SIZE:
            raise ValueError(f'image_size must be at least {MIN_IMAGE_SIZE}, '
                             f'got {self.image_size}.')

    def _scaled(self, fraction: float, minimum: int = 1) -> int:
        return max(minimum, round(fraction * self.image_size))

    @property
    def sky_height(self) -> int:
        """Rows of the sky band at the top; no subject box reaches it."""
        return self._scaled(SKY_FRACTION)

    @property
    def subject_height_range(self) -> Tuple[int, int]:
        """Smallest and largest subject box height."""
        return (self._scaled(MIN_SUBJECT_FRACTION),
                self._scaled(MAX_SUBJECT_FRACTION))

    @property
    def object_size(self) -> int:
        """Side of a context or decoy object's square."""
        return self._scaled(OBJECT_FRACTION, minimum=4)

    @property
    def near_px(self) -> int:
        """Largest gap between a subject box and an object next to it."""
        return self._scaled(NEAR_FRACTION, minimum=2)

    @property
    def separation_px(self) -> int:
        """Smallest gap between two footprints, or a footprint and a decoy.

        Every object is therefore at least this far from every box but its
        subject's.
        """
        return self._scaled(SEPARATION_FRACTION, minimum=self.near_px + 1)

    @property
    def object_margin(self) -> int:
        """Room reserved on each side of a box for an object."""
        return self.near_px + self.object_size

    def to_dict(self) -> dict:
        """The sizes, for the ``info`` entry of the JSON."""
        return dict(
            image_size=self.image_size,
            sky_height=self.sky_height,
            subject_height_range=list(self.subject_height_range),
            object_size=self.object_size,
            near_px=self.near_px,
            separation_px=self.separation_px)


@dataclass
class PlacedObject:
    """An object drawn in its square.

    Args:
        kind (str): e.g. ``'fire'``.
        x (int): Left column of the square.
        y (int): Top row of the square.
    """
    kind: str
    x: int
    y: int

    def box(self, size: int) -> Box:
        """The square as (x1, y1, x2, y2), x2/y2 exclusive."""
        return self.x, self.y, self.x + size, self.y + size


@dataclass
class Background:
    """The label-free background: ground colour, pebbles, noise.

    Args:
        ground_colour (int): Index of the ground colour.
        pebbles (list): (x, y, radius, shade) of small ground spots.
        noise_seed (int): Seed of the per-pixel noise.
    """
    ground_colour: int
    pebbles: List[Tuple[int, int, int, int]]
    noise_seed: int


@dataclass
class Layout:
    """The context-free part of a scene.

    Args:
        boxes (list[Box]): Subject boxes (x1, y1, x2, y2), x2/y2 exclusive.
        appearances (list[Appearance]): How each subject looks.
        background (Background): The ground.
    """
    boxes: List[Box]
    appearances: List[Appearance]
    background: Background


@dataclass
class Scene:
    """A whole scene: layout plus context.

    Args:
        layout (Layout): Subjects and ground.
        contexts (list[Context]): Object kinds next to each subject.
        objects (list[list[PlacedObject]]): The placed objects of each
            subject.
        night (bool): Night sky.
        stars (list): (x, y) of the stars of a night sky.
        decoys (list[PlacedObject]): Objects far from every subject.
    """
    layout: Layout
    contexts: List[Context]
    objects: List[List[PlacedObject]]
    night: bool
    stars: List[Tuple[int, int]] = field(default_factory=list)
    decoys: List[PlacedObject] = field(default_factory=list)


def separated(a: Box, b: Box, gap: int) -> bool:
    """Whether boxes ``a`` and ``b`` are at least ``gap`` pixels apart."""
    return (a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1]
            or b[3] + gap <= a[1])


def footprint(box: Box, geometry: Geometry) -> Box:
    """The box plus the room reserved for objects left and right of it."""
    margin = geometry.object_margin
    return box[0] - margin, box[1], box[2] + margin, box[3]


def place_subjects(rng: np.random.Generator, geometry: Geometry,
                   num_subjects: int) -> List[Box]:
    """Place up to ``num_subjects`` boxes with separated footprints.

    Box sizes are drawn first; then up to ``LAYOUT_TRIES`` times, the boxes
    are dropped one by one at random free places (``PLACEMENT_TRIES`` tries
    each). The first complete layout is returned, otherwise the one that
    placed the most boxes: crowded draws give fewer subjects. All of this
    depends on sizes only, never on labels.

    Args:
        rng (np.random.Generator): The layout stream.
        geometry (Geometry): Sizes.
        num_subjects (int): Subjects wanted.

    Returns:
        list[Box]: The boxes placed (at least one).
    """
    low, high = geometry.subject_height_range
    heights = rng.integers(low, high + 1, num_subjects)
    best: List[Box] = []
    for _ in range(LAYOUT_TRIES):
        boxes: List[Box] = []
        for height in heights:
            width = round(int(height) * SUBJECT_WIDTH_RATIO)
            box = _free_box(rng, boxes, geometry, width, int(height))
            if box is None:
                break
            boxes.append(box)
        if len(boxes) > len(best):
            best = boxes
        if len(best) == num_subjects:
            break
    return best


def _free_box(rng: np.random.Generator, boxes: List[Box], geometry: Geometry,
              width: int, height: int) -> Optional[Box]:
    """Try random places for one box; None when all tries collide."""
    size = geometry.image_size
    margin = geometry.object_margin
    top = geometry.sky_height + GROUND_MARGIN_PX
    placed = [footprint(box, geometry) for box in boxes]
    for _ in range(PLACEMENT_TRIES):
        x1 = int(rng.integers(margin, size - margin - width + 1))
        y1 = int(rng.integers(top, size - GROUND_MARGIN_PX - height + 1))
        box = (x1, y1, x1 + width, y1 + height)
        if all(
                separated(
                    footprint(box, geometry), other, geometry.separation_px)
                for other in placed):
            return box
    return None


def sample_background(rng: np.random.Generator,
                      geometry: Geometry) -> Background:
    """Ground colour, pebbles and noise seed (no label depends on them)."""
    size = geometry.image_size
    num_pebbles = int(rng.integers(*PEBBLE_COUNT_RANGE))
    pebbles = []
    for _ in range(num_pebbles):
        radius = int(rng.integers(*PEBBLE_RADIUS_RANGE))
        x = int(rng.integers(radius, size - radius))
        y = int(rng.integers(geometry.sky_height + radius, size - radius))
        shade = int(rng.integers(-PEBBLE_SHADE_PX, PEBBLE_SHADE_PX + 1))
        pebbles.append((x, y, radius, shade))
    return Background(
        ground_colour=int(rng.integers(NUM_GROUND_COLOURS)),
        pebbles=pebbles,
        noise_seed=int(rng.integers(2**31)))


def sample_layout(rng: np.random.Generator, rules, geometry: Geometry,
                  max_subjects: int) -> Layout:
    """Sample the subjects and the ground.

    Args:
        rng (np.random.Generator): The layout stream.
        rules: The rule set (draws the appearances).
        geometry (Geometry): Sizes.
        max_subjects (int): Up to this many subjects (at least one).

    Returns:
        Layout: The context-free part of the scene.
    """
    num_subjects = int(rng.integers(1, max_subjects + 1))
    boxes = place_subjects(rng, geometry, num_subjects)
    appearances = [rules.sample_appearance(rng) for _ in boxes]
    return Layout(
        boxes=boxes,
        appearances=appearances,
        background=sample_background(rng, geometry))


def place_objects(rng: np.random.Generator, box: Box, kinds: Sequence[str],
                  geometry: Geometry) -> List[PlacedObject]:
    """Put each object kind in its own slot next to ``box``.

    Slots are left/right of the box, level with its top or bottom; the gap
    to the box is 1 to ``near_px`` pixels. The slots lie inside the box's
    footprint.

    Args:
        rng (np.random.Generator): The context stream.
        box (Box): The subject's box.
        kinds (Sequence[str]): Object kinds (at most four).
        geometry (Geometry): Sizes.

    Returns:
        list[PlacedObject]: One placed object per kind.
    """
    size = geometry.object_size
    slot_order = rng.permutation(len(SLOTS))
    placed = []
    for kind, slot_index in zip(kinds, slot_order):
        side, level = SLOTS[slot_index]
        gap = int(rng.integers(1, geometry.near_px + 1))
        x = box[0] - gap - size if side == 'left' else box[2] + gap
        y = box[1] if level == 'upper' else box[3] - size
        placed.append(PlacedObject(kind=kind, x=x, y=y))
    return placed


def place_decoy(rng: np.random.Generator, layout: Layout, kinds: Sequence[str],
                geometry: Geometry) -> List[PlacedObject]:
    """Try to place one decoy object far from every subject.

    Returns:
        list[PlacedObject]: The decoy, or nothing when no place was free.
    """
    size = geometry.object_size
    image_size = geometry.image_size
    footprints = [footprint(box, geometry) for box in layout.boxes]
    kind = kinds[int(rng.integers(len(kinds)))]
    for _ in range(PLACEMENT_TRIES):
        x = int(rng.integers(0, image_size - size + 1))
        y = int(rng.integers(geometry.sky_height, image_size - size + 1))
        decoy = PlacedObject(kind=kind, x=x, y=y)
        if all(
                separated(decoy.box(size), other, geometry.separation_px)
                for other in footprints):
            return [decoy]
    return []


def sample_stars(rng: np.random.Generator,
                 geometry: Geometry) -> List[Tuple[int, int]]:
    """Star positions inside the sky band."""
    count = int(rng.integers(*STAR_COUNT_RANGE))
    xs = rng.integers(0, geometry.image_size, count)
    ys = rng.integers(0, geometry.sky_height, count)
    return [(int(x), int(y)) for x, y in zip(xs, ys)]


def sample_context(rng: np.random.Generator, layout: Layout, rules,
                   geometry: Geometry, decoy_prob: float) -> Scene:
    """Sample the context of a layout: objects, sky, decoys.

    Args:
        rng (np.random.Generator): The context stream.
        layout (Layout): The subjects and ground.
        rules: The rule set (draws the contexts and the sky).
        geometry (Geometry): Sizes.
        decoy_prob (float): Probability of trying to add a decoy object.

    Returns:
        Scene: The whole scene.
    """
    contexts = [rules.sample_context(rng) for _ in layout.boxes]
    objects = [
        place_objects(rng, box, context.object_kinds, geometry)
        for box, context in zip(layout.boxes, contexts)
    ]
    night = rules.sample_night(rng)
    stars = sample_stars(rng, geometry) if night else []
    decoys = []
    if rng.random() < decoy_prob:
        decoys = place_decoy(rng, layout, rules.object_kinds, geometry)
    return Scene(
        layout=layout,
        contexts=contexts,
        objects=objects,
        night=night,
        stars=stars,
        decoys=decoys)


def sample_scene(rng: np.random.Generator, rules, geometry: Geometry,
                 max_subjects: int, decoy_prob: float) -> Scene:
    """Sample a whole scene from two independent streams of ``rng``.

    Args:
        rng (np.random.Generator): The image's generator.
        rules: The rule set.
        geometry (Geometry): Sizes.
        max_subjects (int): Up to this many subjects.
        decoy_prob (float): Probability of trying to add a decoy.

    Returns:
        Scene: The scene.
    """
    layout_rng, context_rng = rng.spawn(2)
    layout = sample_layout(layout_rng, rules, geometry, max_subjects)
    return sample_context(context_rng, layout, rules, geometry, decoy_prob)
