"""Drawing a synthetic scene into an RGB image.

Subjects and objects are drawn on their own RGBA patches (a subject's patch
is exactly its box, an object's patch its square) and pasted, so nothing a
subject or object draws can leak outside its rectangle. The sky band fills
the rows above every box.
"""
from typing import Callable, Dict, Tuple

import numpy as np
from PIL import Image, ImageDraw

from .rules import Appearance
from .scene import Geometry, Scene

Colour = Tuple[int, int, int]

DAY_SKY: Colour = (135, 195, 235)
NIGHT_SKY: Colour = (20, 24, 60)
STAR: Colour = (250, 250, 210)
GROUND_COLOURS = ((150, 140, 115), (128, 136, 110), (160, 155, 140),
                  (122, 118, 112), (142, 128, 104))
YELLOW_FACE: Colour = (250, 215, 0)
SKIN_TONES = ((241, 194, 160), (198, 134, 96), (141, 85, 54), (224, 172, 128))
RED_BODY: Colour = (215, 30, 35)
BODY_COLOURS = ((40, 80, 200), (235, 235, 240), (120, 60, 170), (90, 90, 95))
LEG_COLOURS = ((40, 40, 50), (70, 50, 30), (30, 50, 90))
HAT: Colour = (15, 15, 15)
NOISE_STD = 6.0

# Subject figure, as fractions of the box height (see draw_subject).
HAT_ZONE = 0.12
HEAD_RADIUS = 0.13
BODY_BOTTOM = 0.75
BODY_HALF_WIDTH = 0.2
LEG_INNER = 0.04
LEG_OUTER = 0.17
ARM_THICKNESS = 0.07
HANDS_DOWN = 0.7


def draw_subject(appearance: Appearance, width: int,
                 height: int) -> Image.Image:
    """Draw a person filling a ``width`` x ``height`` RGBA patch.

    From the top: a hat zone (a black top hat, or empty), a round head, a
    rectangular body, two legs; the arms go from the shoulders to the lower
    corners, or to the upper corners when raised. The layout inside the box
    is the same for every subject, so the box never depends on the cues.

    Args:
        appearance (Appearance): Cues and colours.
        width (int): Patch (box) width.
        height (int): Patch (box) height.

    Returns:
        PIL.Image.Image: RGBA patch, transparent where nothing is drawn.
    """
    patch = Image.new('RGBA', (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(patch)
    centre = (width - 1) / 2
    hat_zone = round(HAT_ZONE * height)
    radius = max(2, round(HEAD_RADIUS * height))
    body_top = hat_zone + 2 * radius
    body_bottom = round(BODY_BOTTOM * height)
    half_body = BODY_HALF_WIDTH * height
    body = RED_BODY if appearance.body_red else BODY_COLOURS[
        appearance.body_colour]
    face = YELLOW_FACE if appearance.face_yellow else SKIN_TONES[
        appearance.skin_tone]
    legs = LEG_COLOURS[appearance.leg_colour]
    for sign in (-1, 1):
        inner = centre + sign * LEG_INNER * height
        outer = centre + sign * LEG_OUTER * height
        draw.rectangle(
            [min(inner, outer), body_bottom,
             max(inner, outer), height - 1],
            fill=legs)
    draw.rectangle(
        [centre - half_body, body_top, centre + half_body, body_bottom],
        fill=body)
    _draw_arms(draw, appearance.arms_up, centre, body_top, width, height, body,
               hat_zone)
    draw.ellipse([
        centre - radius, hat_zone, centre + radius, hat_zone + 2 * radius - 1
    ],
                 fill=face)
    if appearance.hat:
        _draw_hat(draw, centre, radius, hat_zone)
    return patch


def _draw_arms(draw, arms_up, centre, body_top, width, height, colour,
               hat_zone) -> None:
    """Two arms from the shoulders to the patch's side edges."""
    thickness = max(2, round(ARM_THICKNESS * height))
    half_body = BODY_HALF_WIDTH * height
    hand_y = hat_zone if arms_up else round(HANDS_DOWN * height)
    shoulder_y = body_top + thickness / 2
    for sign in (-1, 1):
        shoulder_x = centre + sign * (half_body - thickness / 2)
        hand_x = centre + sign * (width / 2 - thickness / 2)
        draw.line([shoulder_x, shoulder_y, hand_x, hand_y],
                  fill=colour,
                  width=thickness)


def _draw_hat(draw, centre, radius, hat_zone) -> None:
    """A top hat: a crown in the hat zone and a brim on the head."""
    crown = 0.8 * radius
    brim = 1.3 * radius
    draw.rectangle([centre - crown, 0, centre + crown, hat_zone], fill=HAT)
    draw.rectangle([centre - brim, hat_zone - 1, centre + brim, hat_zone],
                   fill=HAT)


def _balloon(draw: ImageDraw.ImageDraw, size: int) -> None:
    """A pink balloon on a string."""
    head = round(0.65 * size)
    draw.ellipse([1, 0, size - 2, head - 1], fill=(250, 110, 180))
    mid = (size - 1) / 2
    draw.line([mid, head, mid, size - 1], fill=(90, 90, 90), width=1)


def _fire(draw: ImageDraw.ImageDraw, size: int) -> None:
    """An orange flame with a yellow core."""
    last = size - 1
    draw.polygon([(0, last), (last / 2, 0), (last, last)], fill=(240, 80, 20))
    core = [(last / 4, last), (last / 2, last / 3), (3 * last / 4, last)]
    draw.polygon(core, fill=(255, 210, 40))


def _tree(draw: ImageDraw.ImageDraw, size: int) -> None:
    """A green triangle on a brown trunk."""
    last = size - 1
    crown_bottom = round(0.75 * size)
    draw.polygon([(0, crown_bottom), (last / 2, 0), (last, crown_bottom)],
                 fill=(30, 140, 40))
    draw.rectangle(
        [last / 2 - size / 8, crown_bottom, last / 2 + size / 8, last],
        fill=(110, 70, 30))


def _slime(draw: ImageDraw.ImageDraw, size: int) -> None:
    """A lime-green blob with bubbles."""
    last = size - 1
    draw.ellipse([0, size / 2, last, last], fill=(140, 210, 40))
    draw.ellipse([size / 4, size / 4, size / 2, size / 2], fill=(140, 210, 40))


def _cloud(draw: ImageDraw.ImageDraw, size: int) -> None:
    """A grey cloud with blue rain drops."""
    last = size - 1
    draw.ellipse([0, 0, last, size / 2], fill=(150, 150, 160))
    for x in (size / 4, size / 2, 3 * size / 4):
        draw.line([x, 0.6 * size, x, last], fill=(60, 110, 230), width=1)


OBJECT_DRAWERS: Dict[str, Callable[[ImageDraw.ImageDraw, int], None]] = {
    'balloon': _balloon,
    'fire': _fire,
    'tree': _tree,
    'slime': _slime,
    'cloud': _cloud,
}


def draw_object(kind: str, size: int) -> Image.Image:
    """Draw an object of ``kind`` on a ``size`` x ``size`` RGBA patch."""
    patch = Image.new('RGBA', (size, size), (0, 0, 0, 0))
    OBJECT_DRAWERS[kind](ImageDraw.Draw(patch), size)
    return patch


def _paste(image: Image.Image, patch: Image.Image, x: int, y: int) -> None:
    """Alpha-paste ``patch`` with its top-left corner at (x, y)."""
    image.paste(patch, (x, y), patch)


def _background(scene: Scene, geometry: Geometry) -> Image.Image:
    """Sky band, stars, ground and pebbles."""
    size = geometry.image_size
    sky_height = geometry.sky_height
    ground = GROUND_COLOURS[scene.layout.background.ground_colour]
    pixels = np.empty((size, size, 3), dtype=np.uint8)  # [H, W, 3]
    pixels[:sky_height] = NIGHT_SKY if scene.night else DAY_SKY
    pixels[sky_height:] = ground
    for x, y in scene.stars:
        pixels[y, x] = STAR
    image = Image.fromarray(pixels)
    draw = ImageDraw.Draw(image)
    for x, y, radius, shade in scene.layout.background.pebbles:
        colour = tuple(int(np.clip(c + shade, 0, 255)) for c in ground)
        draw.ellipse([x - radius, y - radius, x + radius, y + radius],
                     fill=colour)
    return image


def render_scene(scene: Scene, geometry: Geometry) -> np.ndarray:
    """Render a scene.

    Args:
        scene (Scene): What to draw.
        geometry (Geometry): Sizes.

    Returns:
        np.ndarray: uint8 RGB image [S, S, 3].
    """
    image = _background(scene, geometry)
    object_size = geometry.object_size
    placed = [obj for objects in scene.objects for obj in objects]
    for obj in placed + scene.decoys:
        _paste(image, draw_object(obj.kind, object_size), obj.x, obj.y)
    layout = scene.layout
    for box, appearance in zip(layout.boxes, layout.appearances):
        x1, y1, x2, y2 = box
        _paste(image, draw_subject(appearance, x2 - x1, y2 - y1), x1, y1)
    noise_rng = np.random.default_rng(layout.background.noise_seed)
    # [S, S, 3]
    noise = noise_rng.normal(0.0, NOISE_STD, (*image.size[::-1], 3))
    pixels = np.asarray(image, dtype=np.float32) + noise
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)
