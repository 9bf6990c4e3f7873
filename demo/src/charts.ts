/** Chart.js, registered once with only the pieces the views use (lines, scatter and bars on linear/category axes). */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Title,
  Tooltip,
  type ChartConfiguration,
  type ChartType,
} from 'chart.js';

Chart.register(BarController, BarElement, CategoryScale, Legend, LineController, LineElement, LinearScale, LogarithmicScale, PointElement, ScatterController, Title, Tooltip);

export { Chart };

/** Colors that stay apart for the usual kinds of color blindness (Okabe & Ito). */
export const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];

/** A chart in a titled box; animation off, so updates are immediate and screenshots show the final state. */
export function makeChart<T extends ChartType>(parent: HTMLElement, id: string, config: ChartConfiguration<T>, caption = ''): Chart<T> {
  const box = document.createElement('div');
  box.className = 'chart-box';
  box.id = id;
  const canvas = document.createElement('canvas');
  box.append(canvas);
  if (caption) {
    const text = document.createElement('p');
    text.className = 'hint';
    text.textContent = caption;
    box.append(text);
  }
  parent.append(box);
  config.options = { animation: false, responsive: true, maintainAspectRatio: false, ...config.options } as typeof config.options;
  return new Chart(canvas, config);
}
